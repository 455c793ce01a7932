import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class ChangePasswordDto {
  @ApiProperty({ description: 'The password the operator signs in with now', format: 'password' })
  @IsString()
  @MaxLength(1024)
  currentPassword!: string;

  @ApiProperty({ description: '12-256 characters, not a common password', format: 'password' })
  @IsString()
  @MaxLength(1024)
  newPassword!: string;
}
