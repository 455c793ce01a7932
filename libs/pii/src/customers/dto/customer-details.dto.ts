import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsOptional,
  IsString,
  MinLength,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;
const noControlChars = { message: '$property must not contain control characters' };

export class AddressDto {
  @ApiProperty({ example: '1 Main Street' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARS, noControlChars)
  line1!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARS, noControlChars)
  line2?: string;

  @ApiProperty({ example: 'Amsterdam' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NO_CONTROL_CHARS, noControlChars)
  city!: string;

  @ApiProperty({ example: '1011 AB' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 -]{0,14}[A-Za-z0-9]$/, {
    message: 'postalCode must be 2-16 letters, digits, spaces or hyphens',
  })
  postalCode!: string;

  @ApiProperty({ example: 'NL', description: 'ISO 3166-1 alpha-2' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code' })
  country!: string;
}

/** A customer's personal data as submitted (POST /orders `customer`, imports). */
export class CustomerDetailsDto {
  @ApiProperty({ example: 'Jane Doe' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(NO_CONTROL_CHARS, noControlChars)
  name!: string;

  @ApiProperty({ example: 'jane@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_display_name: false, require_tld: true }, { message: 'email must be an email address' })
  email!: string;

  @ApiPropertyOptional({ example: '+31 20 123 4567', description: 'international format with country code' })
  @IsOptional()
  @IsString()
  @Matches(/^\+[1-9](?:[ ()-]?\d){6,14}$/, {
    message: 'phone must be in international format, e.g. +31 20 123 4567',
  })
  phone?: string;

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}
