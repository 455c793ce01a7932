import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const REVEAL_PURPOSES = ['support', 'fraud', 'legal', 'fulfilment'] as const;
export type RevealPurpose = (typeof REVEAL_PURPOSES)[number];

/** Exactly one of email or phone; in the body, because personal data never travels in a URL. */
export class SearchCustomersDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(/^\+?[0-9 ()-]{7,25}$/, { message: 'phone must contain digits with an optional leading +' })
  phone?: string;
}

export class RevealCustomerDto {
  @ApiProperty({ enum: REVEAL_PURPOSES })
  @IsIn(REVEAL_PURPOSES)
  purpose!: RevealPurpose;
}
